// The hook bundle's stand-in for worker_threads (mapped by scripts/build.mjs for dist/hook.cjs
// and dist/statusline.cjs only): write-file-atomic reads `threadId` to name its temp files, and the hook runs on the main
// thread, whose id is 0. Loading the real module costs the hook ~1.5 ms on Node 24.
export const threadId = 0;
export const isMainThread = true;
export default { threadId, isMainThread };
