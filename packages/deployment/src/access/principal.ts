/**
 * Who an API caller is, once its key is checked. Every key belongs to one library of the
 * directory and has one role:
 * - borrowing / lending: staff of that library, acting as its borrowing or lending desk;
 * - hub: the mediating resource-sharing team (acts on any request, sees every queue); its events
 *   are recorded with the library the key belongs to (the hub's own code) and role hub;
 * - auditor: reads everything, changes nothing.
 */
export const API_ROLES = ['borrowing', 'lending', 'hub', 'auditor'] as const;
export type ApiRole = (typeof API_ROLES)[number];

export interface Principal {
  /** The key's public id (the part of the key before its secret); recorded with every event the key causes. */
  readonly keyId: string;
  /** The library the key belongs to (a code of the directory). */
  readonly library: string;
  readonly role: ApiRole;
  /** What the key is for, as given when it was created ("ILL desk, evening shift"). */
  readonly label: string | null;
}
