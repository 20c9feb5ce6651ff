import type { OperationView } from '@writeback/contracts';
import { isTerminal } from '@writeback/domain';
import type { OperationChanges } from './operation-changes';
import type { OperationViews } from './store/operation-views';

/**
 * The operation once it has ended, or as it stands at `deadline` (epoch ms); null when there is
 * no such operation. `handed` is a view the caller already holds (e.g. the one just committed).
 */
export async function awaitOperation(
  views: OperationViews,
  changes: OperationChanges,
  operationId: string,
  deadline: number,
  handed?: OperationView,
): Promise<OperationView | null> {
  let latest = handed;
  for (;;) {
    // Watching before reading: a change committed in between still wakes us. Ends recorded
    // by another replica wake us through the WaiterSweep.
    const watch = changes.watch(operationId, Math.max(0, deadline - Date.now()));
    const view = latest ?? (await views.view(operationId));
    if (!view || isTerminal(view.status) || Date.now() >= deadline) {
      watch.cancel();
      return view;
    }
    latest = await watch.changed;
  }
}
