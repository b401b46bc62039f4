/**
 * How big anything the ILL domain accepts may be: every string, every array, a whole command's
 * data and the library directory. The limits sit far above any real request and low enough that
 * no command or directory can grow the log or the memory without bound. Beyond a limit the
 * command (or directory) is refused with a ValidationError naming the field; nothing is written.
 * docs/domain.md ("Limits") has the same table. Strings count UTF-16 code units (JavaScript's
 * `length`); bytes are UTF-8 bytes of the JSON text.
 */
export const LIMITS = {
  /** A library code: the directory's `code`, `preferredLenders[i]`, `receivedBy`. */
  libraryCode: 64,
  /** A library's ISO 18626 ILL code. */
  illCode: 64,
  /** The id of a new request (re-requests derive theirs from it: `R` -> `R-r1`). */
  requestId: 128,
  /** A reference to another request (`relatedRequestId`): a request id, a re-request's included. */
  requestReference: 200,
  /** Notes and reasons. */
  note: 2000,
  /** A title. */
  title: 1000,
  /** An author. */
  author: 500,
  /** ISBN, ISSN, OCLC number. */
  identifier: 32,
  /** Any other short text: item ids, tracking ids, carriers, conditions, edition, volume, patron reference, deadline keys. */
  shortText: 200,
  /** A library's name, and the reason of a closure. */
  name: 200,
  /** Item ids of one shipment or receipt. */
  itemIds: 100,
  /** Conditions of one shipment. */
  conditions: 20,
  /** Preferred lenders of one request. */
  preferredLenders: 100,
  /** A command's `data`, as JSON. */
  commandDataBytes: 64 * 1024,
  /** Libraries in the directory. */
  libraries: 5_000,
  /** Closures of one library. */
  closures: 100,
  /** The whole directory, as JSON. */
  directoryBytes: 16 * 1024 * 1024,
} as const;

/**
 * Characters that may not appear in codes and ids, because a terminal or a text renderer acts on
 * them: C0 controls (U+0000-U+001F), DEL (U+007F), C1 controls (U+0080-U+009F) and the bidi
 * embedding, override and isolate characters (U+202A-U+202E, U+2066-U+2069).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

export const hasControlCharacters = (value: string): boolean => CONTROL_CHARACTERS.test(value);

/** The UTF-8 length of a string, without encoding it. */
export function utf8Bytes(value: string): number {
  let bytes = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** The UTF-8 bytes of a value's JSON text (0 for what JSON cannot hold, such as undefined). */
export const jsonBytes = (value: unknown): number => utf8Bytes(JSON.stringify(value) ?? '');

/** `65536` -> `65,536`. */
export const formatCount = (n: number): string => n.toLocaleString('en-US');
