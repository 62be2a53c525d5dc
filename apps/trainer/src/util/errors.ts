/**
 * A user mistake (bad file, bad flag) is reported as one clear line, never a stack trace.
 * Set HYDRALORA_DEBUG=1 to see the stack of any error.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** A bad command line (missing or invalid flag): printed as `error: …`, as commander's own. */
export class UsageError extends UserError {
  override name = 'UsageError';
}

export function runMain(main: () => Promise<unknown>): void {
  main().catch((error: unknown) => {
    const err = error instanceof Error ? error : new Error(String(error));
    if (process.env.HYDRALORA_DEBUG) console.error(err.stack);
    else if (err instanceof UsageError) console.error(`error: ${err.message}`);
    else console.error(`hydralora: ${err.message}`);
    process.exitCode = 1;
  });
}
