// Lifeboat's domain controllers, in the order the operator starts them.
import type { ControllerSetup } from '../runtime/controller-setup.ts';
import { backupRunController } from './backup-run/controller.ts';
import { backupScheduleController } from './backup-schedule/controller.ts';
import { drillController } from './drill/controller.ts';
import { drillRunController } from './drill-run/controller.ts';
import { restoreRequestController } from './restore-request/controller.ts';

export const backupControllers: readonly ControllerSetup[] = [backupScheduleController, backupRunController];
export const restoreControllers: readonly ControllerSetup[] = [restoreRequestController];
export const drillControllers: readonly ControllerSetup[] = [drillController];
export const drillRunControllers: readonly ControllerSetup[] = [drillRunController];
