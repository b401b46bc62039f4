import { ValidationError } from '@interlend/engine';

/** The schemes the client parses (1.3.x). */
export const KURRENTDB_SCHEMES = ['kurrentdb', 'kurrentdb+discover', 'kurrent', 'kurrent+discover', 'kdb', 'kdb+discover'] as const;

/** The old EventStoreDB schemes, rewritten to their KurrentDB names. */
const LEGACY: Record<string, string> = { esdb: 'kurrentdb', 'esdb+discover': 'kurrentdb+discover' };

/**
 * Checks a connection string and gives it in the form the client takes: `esdb://` and
 * `esdb+discover://` become `kurrentdb://` and `kurrentdb+discover://` (the client still parses
 * them, with a deprecation warning on the console at every connection; the rest of the string
 * is the same format). Anything but a known scheme with a host is a ValidationError naming
 * what was given, with any password masked.
 *
 *     kurrentdb://localhost:2113?tls=false
 *     kurrentdb://admin:changeit@node1:2113,node2:2113?tls=true&nodePreference=leader
 *     kurrentdb+discover://admin:changeit@cluster.example.org:2113
 */
export function normalizeConnectionString(connectionString: string): string {
  const trimmed = typeof connectionString === 'string' ? connectionString.trim() : '';
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(trimmed);
  const invalid = (why: string): ValidationError =>
    new ValidationError(`not a KurrentDB connection string (${why}): ${redactConnectionString(trimmed) || '(empty)'}; expected e.g. kurrentdb://localhost:2113?tls=false`, {
      issues: [{ path: 'connectionString', message: why }],
    });
  if (!match) throw invalid('no scheme');
  const scheme = (match[1] as string).toLowerCase();
  const rest = match[2] as string;
  const target = LEGACY[scheme] ?? scheme;
  if (!(KURRENTDB_SCHEMES as readonly string[]).includes(target)) {
    throw invalid(`scheme '${scheme}' is not one of ${[...KURRENTDB_SCHEMES, ...Object.keys(LEGACY)].join(', ')}`);
  }
  const hosts = rest.replace(/^[^@/?]*@/, '').split(/[/?]/)[0] ?? '';
  if (hosts.length === 0) throw invalid('no host');
  return `${target}://${rest}`;
}

/** The connection string with its password replaced by `***`, for messages and logs. */
export const redactConnectionString = (connectionString: string): string => connectionString.replace(/^([^:]+:\/\/[^:@/?]*):[^@/?]*@/, '$1:***@');
