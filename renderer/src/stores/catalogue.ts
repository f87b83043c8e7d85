/**
 * The catalogue (strategies with parameter schemas, datasets, models, scenarios) and the
 * recipe gallery, as the back end reports them. The designer's palette and properties
 * forms are built from here; nothing about strategies is hard-coded in the UI.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { Catalogue, CatalogueStrategy, Recipe } from '../../../main/workbench/api/contract.ts';
import { useClient } from '../composables/useClient.ts';
import { toShownError, type ShownError } from '../utils/errors.ts';
import { FAMILY_ORDER, FAMILY_TITLES } from '../utils/palette.ts';

export const useCatalogueStore = defineStore('catalogue', () => {
  const catalogue = shallowRef<Catalogue | undefined>();
  const recipes = shallowRef<Recipe[]>([]);
  const loading = ref(false);
  const error = ref<ShownError | undefined>();
  const recipesError = ref<ShownError | undefined>();

  const strategies = computed(() => catalogue.value?.strategies ?? []);

  /** Strategies grouped by family, families in the usual order (unknown ones last). */
  const families = computed(() => {
    const groups = new Map<string, CatalogueStrategy[]>();
    for (const strategy of strategies.value) {
      const list = groups.get(strategy.family) ?? [];
      list.push(strategy);
      groups.set(strategy.family, list);
    }
    const rank = (family: string) => (FAMILY_ORDER.includes(family) ? FAMILY_ORDER.indexOf(family) : FAMILY_ORDER.length);
    return [...groups.entries()]
      .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
      .map(([family, items]) => ({ family, label: FAMILY_TITLES[family] ?? family, strategies: items }));
  });

  function strategy(id: string): CatalogueStrategy | undefined {
    return strategies.value.find((s) => s.id === id);
  }

  function strategyName(id: string): string | undefined {
    return strategy(id)?.name;
  }

  async function load(force = false): Promise<void> {
    const client = useClient();
    if (!client || (catalogue.value && !force)) return;
    loading.value = true;
    error.value = undefined;
    try {
      catalogue.value = await client.call('catalogue.get');
    } catch (caught) {
      error.value = toShownError(caught);
    } finally {
      loading.value = false;
    }
    try {
      recipes.value = await client.call('catalogue.recipes');
      recipesError.value = undefined;
    } catch (caught) {
      recipesError.value = toShownError(caught);
    }
  }

  return { catalogue, recipes, loading, error, recipesError, strategies, families, strategy, strategyName, load };
});
