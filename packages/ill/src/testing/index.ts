export {
  SAMPLE_BORROWER,
  SAMPLE_REQUEST_ID,
  SAMPLE_TIME,
  sampleDirectoryJson,
  sampleDirectory,
  sampleRequest,
  sampleShipment,
  borrowerActor,
  lenderActor,
  hubActor,
  systemActor,
  illHistory,
  toFirstLender,
  illSpec,
} from './fixtures';
export type { HistoryStep, IllHistory } from './fixtures';
export { STATE_STEPS, SAMPLE_CANDIDATES } from './states';
