/**
 * Cancelling a dataset read: the same `cancel` message a generation uses, naming the dataset request (its id
 * comes with every progress event). The worker stops between chunks, forgets the file and answers a 'cancelled'
 * failure, which the view shows in place of the summary.
 */
import { engineClient } from '../engineBridge';

export function cancelDatasetRequest(request: number): void {
  engineClient()?.notify('cancel', { target: request });
}
