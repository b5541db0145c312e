// Usage errors: a command throws UsageError for arguments it cannot take; main.ts prints the
// message with a pointer to --help and exits 2.
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  /** The command whose --help the message points at, e.g. 'dead retry' (else the one that ran). */
  constructor(
    message: string,
    readonly helpFor?: string,
  ) {
    super(message);
  }
}
