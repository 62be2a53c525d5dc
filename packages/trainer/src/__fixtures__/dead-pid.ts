/** A pid no process has: what a crashed writer leaves in temporary names. */
export function deadPid(): number {
  for (let pid = 4_194_000; ; pid--) {
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as { code?: string }).code === 'ESRCH') return pid;
    }
  }
}
