// The registration point of the domain controllers: each entry builds one controller from the
// shared context (see src/runtime/controller-setup.ts). The operator starts them in this order.
import { backupControllers, drillControllers, drillRunControllers, restoreControllers } from '../controllers/index.ts';
import type { ControllerSetup } from '../runtime/controller-setup.ts';

export const controllers: readonly ControllerSetup[] = [...backupControllers, ...restoreControllers, ...drillControllers, ...drillRunControllers];
