// Re-exports for the issue page (one import line).
export * from './widgets.js';
export { uid } from './dom.js';
