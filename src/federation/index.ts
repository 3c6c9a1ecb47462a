export {
  durableName,
  FederationNode,
  streamName,
  subjectOf,
  type FederationNodeOptions,
  type SyncReport,
} from './nats.js';
