export { TaskEventHub, type TaskEventHubOptions, type Watcher } from "./hub.js";
export { lastEventIdOf, type StreamView, sseEvent, streamTask } from "./stream.js";
