/** Registers every built-in strategy; import this module once to fill the catalogue. */
import './baselines.ts';
import './lwf.ts';
import './ewc.ts';
import './si.ts';
import './gem.ts';
import './agem.ts';
import './replay.ts';
import './exstream.ts';
import './gdumb.ts';
import './mir.ts';
import './icarl.ts';

export { catalogueJson, findStrategy, getStrategy, listStrategies, registerStrategy, type StrategyEntry, type StrategyFamily } from './catalogue.ts';
