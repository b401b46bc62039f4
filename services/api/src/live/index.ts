/** The live stream: server-sent events of the read-model changes a key may see (docs/api-live.md). */
export { livePlugin, resumePosition, LIVE_PATH, RETRY_MS } from './livePlugin';
export type { LiveOptions } from './livePlugin';
export { LiveFeed } from './liveFeed';
export type { LiveFeedOptions } from './liveFeed';
export { ChangeReader, visibleChange } from './liveChange';
export type { LiveChange } from './liveChange';
export { SseConnection, sseFrame } from './sseConnection';
export type { SseSink, CloseReason } from './sseConnection';
