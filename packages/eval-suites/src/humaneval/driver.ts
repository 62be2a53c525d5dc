/**
 * The Python driver that runs one HumanEval program (inside the sandbox, or directly with
 * `unsafeNoSandbox`). Protocol, in order:
 *
 * 1. stdin carries `<hex token>\n<program>`. The driver reads it to the end, then points fd 0 at
 *    `/dev/null`, so nothing of the token stays readable from a descriptor.
 * 2. It turns the token into the pass proof (HMAC-SHA256 of a fixed message), overwrites the token
 *    bytes and keeps only the proof.
 * 3. Running as root inside the sandbox (the evaluator runs as root), it drops to the per-run uid
 *    given in argv before anything else: a uid with no other processes, so `RLIMIT_NPROC` counts
 *    this run only (the kernel never applies that limit to uid 0).
 * 4. It sets hard resource limits (CPU seconds, address space, processes, file size, no core).
 * 5. It executes the program exactly as OpenAI's harness builds it, in fresh globals. Only when
 *    that returns normally does it write the proof to fd 3 and leave with `os._exit(0)` (no atexit
 *    handlers). An exception prints its traceback and exits 1; `exit(n)` exits n; neither writes.
 *
 * A program can write anything to fd 3, exit 0 early, or write from `atexit`/`sys.excepthook`: none
 * of it carries the proof, so the evaluator does not count it as a pass. What the proof does not
 * stop is code that searches this interpreter's memory for it (frames, `gc`); see the threat model
 * in the package README.
 */
export const DRIVER_SOURCE = String.raw`
def _hydralora_driver():
    import builtins, hashlib, hmac, json, os, resource, sys, traceback
    settings = json.loads(sys.argv[1])
    data = bytearray()
    while True:
        chunk = os.read(0, 65536)
        if not chunk:
            break
        data += chunk
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    newline = data.index(b"\n")
    key = bytearray(bytes.fromhex(data[:newline].decode("ascii")))
    source = bytes(data[newline + 1:]).decode("utf-8")
    data[:] = b"\0" * len(data)
    proof = hmac.new(bytes(key), b"hydralora-humaneval-passed", hashlib.sha256).hexdigest().encode()
    key[:] = b"\0" * len(key)
    del key, data
    uid = settings.get("uid")
    if uid is not None and os.getuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    for name, value in settings["limits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    write, leave = os.write, os._exit

    def flush():
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass

    try:
        exec(compile(source, "program.py", "exec"), {"__name__": "__main__", "__builtins__": builtins})
    except SystemExit as error:
        code = error.code
        flush()
        leave(code if isinstance(code, int) else (0 if code is None else 1))
    except BaseException:
        try:
            traceback.print_exc()
        except BaseException:
            pass
        flush()
        leave(1)
    flush()
    try:
        write(3, proof)
    except BaseException:
        leave(1)
    leave(0)

_hydralora_driver()
`;
