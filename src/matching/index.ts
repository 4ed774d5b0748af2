/** The matching service: task queues with long polls, sync match and a durable backlog. */
export { MatchingEngine, type HistoryClient } from './matching-engine';
