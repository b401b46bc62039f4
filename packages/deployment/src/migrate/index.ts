export { copyLog, MAX_BYTES_PER_COPY_APPEND, MAX_EVENTS_PER_COPY_APPEND } from './copyLog';
export type { CopyLogOptions, CopyLogResult, CopyProgress } from './copyLog';
export { findResumePoint } from './resumePoint';
export type { FindResumePointOptions, ResumePoint } from './resumePoint';
export { carryFollowerCheckpoints, sameStore } from './targetSetup';
export type { CarriedCheckpoint } from './targetSetup';
