/** What every view is given: the API with the signed-in key, who signed in, navigation and cached reads. */
import type { Api } from './api';
import type { DirectoryLibrary, LiveChange, Me } from './types';

export interface App {
  readonly api: Api;
  readonly me: Me;
  navigate(hash: string): void;
  /** The statechart as Mermaid text (GET /v1/lifecycle), fetched once. */
  lifecycle(): Promise<string>;
  /** The member libraries (GET /v1/directory), fetched once. */
  directory(): Promise<DirectoryLibrary[]>;
}

/** A part of the page: its element, and what it does when a live change arrives or the stream (re)connects. */
export interface View {
  readonly el: HTMLElement;
  onChange?(change: LiveChange): void;
  onReady?(): void;
  dispose?(): void;
}

/** Hub staff and auditors see every library; borrowing and lending staff their own. */
export const seesAll = (me: Me): boolean => me.role === 'hub' || me.role === 'auditor';

export const requestHash = (id: string): string => `#/requests/${encodeURIComponent(id)}`;
