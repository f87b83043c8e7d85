/**
 * Ready experiment files shipped in recipes/ (each names the paper whose protocol it follows).
 * `clwb recipes` lists them; `clwb run recipe:<id>` and `clwb validate recipe:<id>` use one directly.
 */
import { WorkbenchError } from '../engine/errors.ts';
import { listRecipes } from '../workbench/recipes.ts';

export { listRecipes, RECIPES_DIR, type RecipeInfo } from '../workbench/recipes.ts';

const PREFIX = 'recipe:';

/** Maps `recipe:<id>` to the recipe's file; other arguments are returned unchanged. */
export async function resolveExperimentArgument(argument: string): Promise<string> {
  if (!argument.startsWith(PREFIX)) return argument;
  const id = argument.slice(PREFIX.length);
  const recipes = await listRecipes();
  const recipe = recipes.find((r) => r.id === id);
  if (!recipe) throw new WorkbenchError('UNKNOWN_ID', `Unknown recipe "${id}" (known: ${recipes.map((r) => r.id).join(', ')})`, { path: argument });
  return recipe.file;
}
