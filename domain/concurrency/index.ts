export { mapBounded } from './map-bounded.ts';
