// The hook bundle's stand-in for signal-exit (mapped by scripts/build.mjs for dist/hook.cjs and
// dist/statusline.cjs only). write-file-atomic uses it to delete its temp file when a signal ends
// the process mid-write; registering its dozen signal handlers costs ~1.5 ms of every start. A
// temp file left behind that way is harmless: it never matches a payload name, and the worker
// removes temp files older than an hour when it starts (ARCHITECTURE invariant 9).
export function onExit(): () => void {
  return () => {};
}

export default { onExit };
