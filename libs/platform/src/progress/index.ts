export { LISTENER_RECONNECT, ProgressListener, type ProgressListenerOptions, type SubscribeOptions } from './listener.js';
export { PROGRESS_THROTTLE, ProgressPublisher, type ProgressPublisherOptions, type ProgressReport, type ReportOutcome } from './publisher.js';
export {
  decodeUpdate,
  encodeUpdate,
  isTerminal,
  type ProgressKind,
  PROGRESS_LIMITS,
  ProgressNotFoundError,
  type ProgressUpdate,
  readProgressState,
  TERMINAL_STATUSES,
} from './state.js';
