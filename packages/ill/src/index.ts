// The ILL domain: event catalog, command schemas, directory, policies, statechart and workflow.

export {
  ILL_EVENT_TYPES,
  COMMAND_EVENTS,
  EVENT_COMMAND,
  STATE_NAMES,
  TERMINAL_STATES,
  isTerminal,
  DEADLINE_NAMES,
  REPAIRABLE_CLOCKS,
  EFFECT_NAMES,
  AMENDABLE_MATERIAL_FIELDS,
} from './events';
export type {
  Closure,
  RequestDetails,
  RotaEntry,
  RotaEntryStatus,
  RotaReason,
  LenderRef,
  IllEventDataMap,
  IllEventType,
  IllEvent,
  IllStateName,
  TerminalState,
  DeadlineName,
  EffectName,
  RequestSubmittedData,
  StaffApprovedData,
  StaffRejectedData,
  FilledLocallyData,
  NotAvailableLocallyData,
  RotaBuiltData,
  RotaBuiltDataV1,
  RotaCandidate,
  RotaSkip,
  ExpectToSupplyAnsweredData,
  WillSupplyAnsweredData,
  ConditionalAnsweredData,
  ConditionsAcceptedData,
  ConditionsRejectedData,
  RetryPossibleAnsweredData,
  LenderUnfilledData,
  LenderTimedOutData,
  ConditionalAnswerExpiredData,
  ShippedData,
  CancelledData,
  CancelRequestedData,
  CancelAcceptedData,
  CancelRefusedData,
  ReceivedData,
  MisdeliveredData,
  ReroutedData,
  MisdeliveredReturnedData,
  WrongItemReportedData,
  CheckedOutToPatronData,
  RenewalRequestedData,
  RenewalGrantedData,
  RenewalDeniedData,
  LoanOverdueData,
  LenderClock,
  SupplyOverdueData,
  CancelUnansweredData,
  WithdrawnFromLenderData,
  NeedBeforePassedData,
  MissingDeadlineScheduledData,
  RepairableClock,
  RecalledData,
  ReturnShippedData,
  CheckedInData,
  ManuallyClosedData,
  ItemLostData,
  ReRequestedData,
  RequestAmendedData,
  AmendedValue,
  AmendableMaterialField,
} from './events';

export {
  commandSchemas,
  COMMAND_TYPES,
  COMMAND_PARTY,
  DEADLINE_COMMAND,
  SCHEDULE_MISSING_COMMAND,
  MoneySchema,
  MaterialSchema,
  SERVICE_TYPES,
  SERVICE_LEVELS,
  MATERIAL_FORMATS,
  MATERIAL_FLAGS,
  LOAN_CONDITIONS,
  RETRY_REASONS,
  UNFILLED_REASONS,
  LOSS_KINDS,
  isIsoDate,
  isIsoDateTime,
} from './commands';
export type {
  Money,
  Material,
  MaterialFormat,
  MaterialFlag,
  ServiceType,
  ServiceLevel,
  LoanCondition,
  RetryReason,
  UnfilledReason,
  LossKind,
  IllCommandType,
  IllCommandData,
  IllCommandInput,
  SubmitData,
  ShipData,
  CancelData,
  CommandParty,
} from './commands';

export { Directory, parseDirectory, DirectorySchema, LibrarySchema, ClosureSchema, ContactSchema, DAYS_TO_RESPOND, LENDING_POLICIES, DEFAULT_MAX_LENDERS, DEFAULT_DAYS_TO_SHIP, DEFAULT_DAYS_TO_ANSWER_CANCEL, MAX_CLOCK_DAYS, formatPath } from './directory';
export type { Library, DirectoryData, DirectoryInput, DaysToRespond, LendingPolicy } from './directory';

export { screen, NOT_RETURNABLE_FORMATS, DOCUMENT_DELIVERY_FORMATS, REVIEW_FORMATS } from './policies/screening';
export type { ScreeningOutcome, ScreeningResult } from './policies/screening';
export { buildRota, rotaBuiltData, stableHash, daysToRespondFor } from './policies/rota';
export { illEventSchemas, ILL_EVENT_VERSIONS, INITIAL_ILL_STATE, readIllStream } from './upcasters';
export type { RotaInput } from './policies/rota';
export { addBusinessDays, isBusinessDay, isWeekend, closureOn, utcDate, responseDays, dueInstant, isPastDue, RUSH_SERVICE_LEVELS } from './policies/businessDays';
export { toMinor, formatMoney, sameMoney, exceeds, costLimit, offerAcceptable, shipmentCostAllowed, costDiffersFromOffer } from './policies/costs';

export { initialContext, currentEntry, nextCandidate, reRequestId } from './context';
export type { IllContext, IllInput, RotaEntryState, LenderTurn, ConditionState, CancellableSubstate, PendingCancel, PendingDeadline, Costs, Aging } from './context';
export { evolve, lenderOutcome } from './evolve';
export type { IllMachineEvent, IllMachineEventOf } from './evolve';
export { illMachine, deadlineFor, conditionalRespondBy, CONDITIONAL_ANSWER_DAYS } from './machine';
export type {
  IllMachine,
  NotifyLenderParams,
  NotifyBorrowerParams,
  BorrowerNotice,
  NotifyLenderOfParams,
  LenderNotice,
  HandToDocumentDeliveryParams,
  StartReRequestParams,
  ReRequestReason,
} from './machine';
export { authorizeCommand, commandsFor, ROLES } from './authorize';
export type { Role } from './authorize';
export { decideCommand } from './decide';
export type { DecideState } from './decide';
export { refusedNow } from './decide';
export { illRequestWorkflow, ILL_WORKFLOW, allowedIllCommands, describeIllState } from './workflow';
export type { IllServices } from './workflow';

export { saveDirectory, loadDirectory, loadDirectoryHead, refreshDirectoryHead, DIRECTORY_STREAM, DIRECTORY_IMPORTED, LIBRARY_UPDATED } from './persistence/directoryRepository';
export type { SavedDirectory, DirectoryHead } from './persistence/directoryRepository';
export { updateLibrary, libraryProfileHistory, diffProfiles } from './persistence/libraryUpdates';
export type { LibraryChange, LibraryProfileChange, UpdatedLibrary, UpdateMode } from './persistence/libraryUpdates';
export { LIMITS, CONTROL_CHARACTERS, hasControlCharacters, utf8Bytes, jsonBytes } from './limits';
export { reRequestEffect } from './effects/reRequest';
export { scheduleMissingDeadlines, scheduleMissingCommandId } from './repair/scheduleMissingDeadlines';
export type { MissingDeadline, ScheduleMissingResult, ScheduleMissingOptions } from './repair/scheduleMissingDeadlines';
export { simulate, runSimulation, SCENARIOS } from './simulation/simulator';
export type { SimulationEngine, SimulationNotice, SimulationOptions, SimulationSetup, SimulationSummary, Scenario } from './simulation/simulator';
export { inProcessSimulationEngine } from './simulation/inProcessEngine';
export { generateDirectory } from './simulation/generateDirectory';
export * from './projections/index';
export { lifecycleMarkdown } from './lifecycleDiagram';
