import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { NotFoundError, isNotFoundError, isValidationError, type Actor } from '@interlend/engine';
import { API_ROLES, ApiKeys, type ApiKeyInfo, type ApiRole } from '@interlend/deployment/local';
import { openApp } from '../app';
import { parse } from '../args';
import { resolveStore, STORE_FLAGS } from '../config';
import type { StoreSettings } from '@interlend/deployment/local';
import { shortTime, table } from '../format';
import { print, printJson, safeText, UsageError, type CliIo } from '../io';

const USAGE = [
  'interlend keys create --library CODE --role ROLE [--label TEXT] [--store URL | --db PATH] [--json]',
  '       interlend keys list [--store URL | --db PATH] [--json]',
  '       interlend keys revoke KEYID [--reason TEXT] [--store URL | --db PATH] [--json]',
].join('\n');

const HELP = `usage: ${USAGE}

API keys for the HTTP API (docs/api-keys.md). Each key belongs to one library of the directory
and has one role: ${API_ROLES.join(', ')}.

  create   makes a key and prints it once: only a hash of it is stored, so it cannot be shown
           again. Callers send it as 'Authorization: Bearer <key>'.
           --library CODE   the library it belongs to (see 'interlend directory list')
           --role ROLE      ${API_ROLES.join(' | ')}
           --label TEXT     what it is for ("ILL desk, evening shift")
  list     every key, active and revoked (never a key or its hash)
  revoke   refuses the key from the next request on, also on a server that is running
           --reason TEXT    why, recorded with the revocation

To rotate a key: create a new one, switch the caller to it, then revoke the old one.
Who creates or revokes a key is recorded as the operating-system user, role admin.`;

export async function keysCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { library: { type: 'string' }, role: { type: 'string' }, label: { type: 'string' }, reason: { type: 'string' }, ...STORE_FLAGS, json: { type: 'boolean' } },
    USAGE,
    { max: 2 },
  );
  const [sub, keyId] = positionals;
  if (values.help || !sub) return print(io, values.help ? HELP : `usage: ${USAGE}`), values.help ? 0 : 2;
  const onlyFor = (flags: (keyof typeof values)[], command: string) => {
    const stray = flags.find((flag) => values[flag] !== undefined);
    if (stray) throw new UsageError(`--${stray} is not an option of 'keys ${command}'\nusage: ${USAGE}`);
  };
  const noArgument = () => {
    if (keyId !== undefined) throw new UsageError(`unexpected argument '${keyId}'\nusage: ${USAGE}`);
  };

  if (sub === 'create') {
    noArgument();
    onlyFor(['reason'], 'create');
    if (!values.library) throw new UsageError(`--library CODE is required: the library the key belongs to (see 'interlend directory list')\nusage: ${USAGE}`);
    if (!values.role) throw new UsageError(`--role is required: one of ${API_ROLES.join(', ')}\nusage: ${USAGE}`);
    if (!(API_ROLES as readonly string[]).includes(values.role)) throw new UsageError(`--role must be one of ${API_ROLES.join(', ')}, not '${values.role}'`);
    return create(io, resolveStore(io, values), { library: values.library, role: values.role as ApiRole, label: values.label, json: values.json });
  }
  if (sub === 'list') {
    noArgument();
    onlyFor(['library', 'role', 'label', 'reason'], 'list');
    return list(io, resolveStore(io, values), values.json);
  }
  if (sub === 'revoke') {
    onlyFor(['library', 'role', 'label'], 'revoke');
    if (keyId === undefined) throw new UsageError(`keys revoke needs the key id (the part after 'ilk_', before the next '_'; see 'interlend keys list')\nusage: ${USAGE}`);
    // A whole key pasted instead of its id: its id is the part before the secret.
    const id = /^ilk_([0-9a-f]{16})_/.exec(keyId)?.[1] ?? keyId;
    return revoke(io, resolveStore(io, values), id, values.reason, values.json);
  }
  throw new UsageError(`unknown keys command '${sub}'\nusage: ${USAGE}`);
}

async function create(io: CliIo, store: StoreSettings, input: { library: string; role: ApiRole; label: string | undefined; json: boolean | undefined }): Promise<number> {
  const importFirst = "a key belongs to a library of the directory: import one first with 'interlend directory import FILE'";
  if (store.events.kind === 'sqlite' && !existsSync(store.events.path)) throw new UsageError(`no database at ${store.events.path}: ${importFirst}, or pass --store URL (or --db PATH)`);
  const app = await openApp(store, { mode: 'maintain', mustExist: true, warningsTo: io });
  try {
    if (!app.directory) throw new UsageError(`no library directory in ${app.description}: ${importFirst}`);
    if (!app.directory.has(input.library)) throw new UsageError(`--library: '${input.library}' is not in the library directory (see 'interlend directory list')`);
    const keys = new ApiKeys(app.events, { ids: app.ids, clock: app.clock });
    const created = await keys.create({ library: input.library, role: input.role, label: input.label, actor: operator(io) }).catch(asFlagError);
    const { keyId, key, principal } = created;
    if (input.json) return printJson(io, { keyId, key, library: principal.library, role: principal.role, label: principal.label, database: app.description }), 0;
    print(
      io,
      [
        `Created API key ${keyId} for ${principal.library} (${principal.role})${principal.label ? `, "${principal.label}"` : ''}:`,
        '',
        `  ${key}`,
        '',
        'It will not be shown again: only a hash of it is stored. Keep it in a password manager or secret store.',
        `Use it as the HTTP header   Authorization: Bearer ${key}`,
        `Revoke it with              interlend keys revoke ${keyId}`,
      ].join('\n'),
    );
    return 0;
  } finally {
    await app.close();
  }
}

async function list(io: CliIo, store: StoreSettings, json: boolean | undefined): Promise<number> {
  const app = await openApp(store, { mode: 'read', warningsTo: io });
  try {
    const keys = await new ApiKeys(app.events).list();
    if (json) return printJson(io, { keys: keys.map((k) => ({ ...k, status: status(k) })) }), 0;
    if (!keys.length) return print(io, `No API keys in ${app.description}: create one with 'interlend keys create --library CODE --role ROLE'`), 0;
    const rows = keys.map((k) =>
      [k.keyId, k.library, k.role, k.revokedAt === null ? 'active' : `revoked ${shortTime(k.revokedAt)} by ${k.revokedBy?.id ?? '?'}`, `${shortTime(k.createdAt)} by ${k.createdBy.id}`, k.label ?? ''].map((cell) =>
        safeText(cell, { oneLine: true }),
      ),
    );
    print(io, table(['key id', 'library', 'role', 'status', 'created', 'label'], rows));
    const active = keys.filter((k) => k.revokedAt === null).length;
    print(io, `${active} active, ${keys.length - active} revoked`);
    return 0;
  } finally {
    await app.close();
  }
}

async function revoke(io: CliIo, store: StoreSettings, keyId: string, reason: string | undefined, json: boolean | undefined): Promise<number> {
  const app = await openApp(store, { mode: 'maintain', mustExist: true, warningsTo: io });
  try {
    const keys = new ApiKeys(app.events, { ids: app.ids, clock: app.clock });
    let revoked: ApiKeyInfo;
    try {
      revoked = await keys.revoke(keyId, { actor: operator(io), reason }).catch(asFlagError);
    } catch (error) {
      if (isNotFoundError(error)) throw new NotFoundError(`${error.message} in ${app.description} (see 'interlend keys list')`, error.details);
      throw error;
    }
    if (json) return printJson(io, { ...revoked, status: status(revoked), database: app.description }), 0;
    print(io, `Revoked API key ${revoked.keyId} (${revoked.library}, ${revoked.role}): refused from the next request on, also by a server that is running.`);
    return 0;
  } finally {
    await app.close();
  }
}

/** A ValidationError about a field given as a flag (`label: at most 200 characters`) as a usage error naming the flag. */
function asFlagError(error: unknown): never {
  const issue = isValidationError(error) ? (error.details.issues as { path: string; message: string }[] | undefined)?.[0] : undefined;
  if (issue && ['library', 'role', 'label', 'reason'].includes(issue.path)) throw new UsageError(`--${issue.path}: ${issue.message}`);
  throw error;
}

const status = (key: ApiKeyInfo): 'active' | 'revoked' => (key.revokedAt === null ? 'active' : 'revoked');

/** Who runs the command, as recorded with the events: the operating-system user, as an admin. */
function operator(io: CliIo): Actor {
  let name = io.env.USER ?? io.env.USERNAME;
  try {
    name ??= userInfo().username;
  } catch {
    // No user name (a container without a passwd entry): recorded as the operator.
  }
  return { id: name?.trim() || 'operator', role: 'admin' };
}
