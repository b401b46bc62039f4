/** The store named is not there (no database file, or a database with no interlend tables): the caller says what to do. */
export class MissingStoreError extends Error {
  constructor(
    message: string,
    /** The store, as described (a file path, or a URL without its password). */
    readonly path: string,
  ) {
    super(message);
    this.name = 'MissingStoreError';
  }
}
