export { connectNats } from './connectNats';
export type { ConnectNatsOptions } from './connectNats';
export { DEFAULT_SETTINGS, resolveSettings, subjectsOf } from './settings';
export type { NatsSettings, NatsSettingsInput } from './settings';
export { ensureStreams, streamConfigs, commandConsumerConfig } from './ensureStreams';
export { Subjects, DEFAULT_PREFIX, NO_PARTY, HEADERS, token, untoken } from './subjects';
export {
  ActorSchema,
  CommandEnvelopeSchema,
  CommandOutcomeSchema,
  CommandReplySchema,
  DeadLetterKindSchema,
  DeadLetterSchema,
  EffectMessageSchema,
  ErrorBodySchema,
  ErrorCodeSchema,
  EventMessageSchema,
  NewsMessageSchema,
  decode,
  encode,
  eventMessage,
} from './envelopes';
export type { CommandEnvelope, CommandOutcome, CommandReply, DeadLetter, DeadLetterKind, EffectMessage, ErrorBody, EventMessage, NewsMessage } from './envelopes';
export { errorBody, errorFromBody, isRefusal, isTransient } from './errorBodies';
export { NatsCommandBus, toEnvelope } from './natsCommandBus';
export type { NatsCommandBusOptions, PublishReceipt } from './natsCommandBus';
export { CommandConsumer, toCommandInput, toOutcome } from './commandConsumer';
export type { CommandConsumerEvent, CommandConsumerOptions, CommandConsumerStats, HandledCommand } from './commandConsumer';
export { DeadLetters, readDeadLetters } from './deadLetters';
export type { DeadLetterSource } from './deadLetters';
export { EventRelay } from './eventRelay';
export type { EventRelayEvent, EventRelayOptions, PartiesOf } from './eventRelay';
export { natsEffectHandlers } from './natsEffectHandlers';
export type { EffectRoute, NatsEffectHandlersOptions } from './natsEffectHandlers';
export { ProjectionNews } from './projectionNews';
export type { ProjectionNewsOptions } from './projectionNews';
export { NatsDeadlines } from './natsDeadlines';
export type { DeadlineScan, NatsDeadlinesOptions } from './natsDeadlines';
export { KvLease } from './kvLease';
export { natsAuthorization, natsPermissions, type NatsAuthorizationInput, type NatsPermissions, type NatsRole, type NatsUser } from './access';
export { SIMULATED_CLOCK_KEY_ENV, SimulatedClockSender, checkClockKey, followSimulatedClock, signTime } from './simulatedClock';
export { TimerRunOutcomeSchema, requestTimerRun, serveTimerRuns } from './timerRuns';
export type { TimerRunOutcome } from './timerRuns';
