/** Registers every built-in strategy; import this module once to fill the catalogue. */
import './baselines.ts';

export { catalogueJson, findStrategy, getStrategy, listStrategies, registerStrategy, type StrategyEntry, type StrategyFamily } from './catalogue.ts';
