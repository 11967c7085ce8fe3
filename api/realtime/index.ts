export { createRealtimeHub, type RealtimeHub, type RealtimeHubOptions } from './hub.ts';
export { createUsageTickPublisher, type UsageTickCounter, type UsageTickPublisher } from './usage-ticks.ts';
export { mayReceive } from './visibility.ts';
export { WS_PATH, CLOSE_UNAUTHENTICATED, CLOSE_GOING_AWAY } from './protocol.ts';
export {
  publishEvent,
  publishEvents,
  REALTIME_EVENT_TYPES,
  type RealtimeEvent,
  type RealtimeEventType,
} from '../../db/postgres/realtime-events.ts';
