// Read models of ILL requests: pure folds over the stored events (see docs/projections.md).
import type { Projection } from '@interlend/engine';
import { queuesProjection } from './queues';
import { requestsProjection } from './requests';
import { requestSummaryProjection } from './libraryHistory';

export { requestsProjection, REQUESTS_PROJECTION, requestStateIndex, requestBorrowerIndex, requestLenderIndex } from './requests';
export type { RequestDoc } from './requests';
export {
  queuesProjection,
  QUEUES_PROJECTION,
  QUEUE_TABLE,
  BORROWING_QUEUES,
  LENDING_QUEUES,
  queuesForState,
  queueMemberships,
  queueEntries,
  queueCounts,
  queueCountsOf,
  queueLibraryIndex,
  queueNameIndex,
  queueOpenIndex,
  queueClosedIndex,
  CLOSED_QUEUE,
  AGING_DAYS,
} from './queues';
export { indexPage, requestsPage, queueDocsPage, readQueues, closedCounts, queueLibraries } from './readQueries';
export type { PageOptions, DocPage, RequestFilter, QueueDocsFilter, QueuesAnswer } from './readQueries';
export type { QueueDoc, QueueEntry, QueueRole, QueueName, BorrowingQueue, LendingQueue, StateQueues, QueueTime, QueueFilter, QueueListing, QueueCount } from './queues';
export { requestSummaryProjection, REQUEST_SUMMARIES_PROJECTION, libraryHistory, summaryLibraryIndex, summarySubmittedIndex, summaryOpenIndex, isRequestSummary } from './libraryHistory';
export { readStatistics } from './readStatistics';
export type { StatisticsReadOptions } from './readStatistics';
export type { RequestSummaryDoc, LenderTry, Milestones, LibraryHistory, BorrowedRow, LentRow } from './libraryHistory';
export { computeStatistics, formatStatistics, summarizeHours, statisticsContribution, mergeTally, finalizeStatistics, concernsLibrary, durationTenths } from './statistics';
export { isStatisticsAggregate, statisticsAggregateKey, statisticsAggregateRange, deriveStatisticsAggregates } from './statisticsAggregates';
export type { StatisticsAggregateDoc } from './statisticsAggregates';
export type {
  Tally,
  Statistics,
  StatisticsOptions,
  DurationSummary,
  TurnaroundSummary,
  ReasonCount,
  RequestCounts,
  BorrowerStatistics,
  LenderStatistics,
} from './statistics';

/** Every ILL read model, rebuilt by the runner in one pass over the log. */
export const illProjections: readonly Projection[] = [requestsProjection, queuesProjection, requestSummaryProjection];
export { RequestParties } from './parties';
