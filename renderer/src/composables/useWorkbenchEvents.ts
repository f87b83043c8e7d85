/** Routes the back end's events to the stores for as long as the app is mounted. */
import { onBeforeUnmount } from 'vue';
import { useDatasetsStore } from '../stores/datasets.ts';
import { useProjectStore } from '../stores/project.ts';
import { useRunsStore } from '../stores/runs.ts';
import { useClient } from './useClient.ts';

export function useWorkbenchEvents(): void {
  const client = useClient();
  if (!client) return;
  const runs = useRunsStore();
  const datasets = useDatasetsStore();
  const project = useProjectStore();
  const unsubscribe = client.onEvent((event) => {
    switch (event.type) {
      case 'run.status':
      case 'run.event':
        runs.handleEvent(event);
        break;
      case 'dataset.progress':
        datasets.handleEvent(event);
        break;
      case 'project.opened':
        project.setState(event.project);
        break;
      case 'scheduler.changed':
        project.setScheduler(event.scheduler);
        break;
    }
  });
  onBeforeUnmount(unsubscribe);
}
