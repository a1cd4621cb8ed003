/**
 * Turns a Hub refusal into a message that says which thing is missing. The Hub names it in `X-Error-Code`
 * (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo) and answers an unknown or private repo with 401 when
 * the request carries no token, so the status alone cannot tell "no such repo" from "no access".
 */
import { HubError } from './errors';
import type { HubModelRequest } from './types';

export function describeHttpFailure(request: HubModelRequest, path: string, status: number, errorCode: string | null): HubError {
  const { repo, revision, endpoint } = request;
  const host = endpoint.replace(/^https?:\/\//, '');
  switch (errorCode) {
    case 'RepoNotFound':
      return new HubError('not-found', `There is no repository ${repo} on ${host} (or it is private). Check the id's spelling and case.`, 'repo');
    case 'RevisionNotFound':
      return new HubError('not-found', `${repo} has no branch, tag or commit '${revision}'.`, 'repo');
    case 'EntryNotFound':
      return new HubError('not-found', `${repo} has no file ${path} at revision ${revision}.`);
    case 'GatedRepo':
      return new HubError('no-access', `${repo} is gated: accept its terms on ${host} and download it from there, then open the file here.`);
  }
  if (status === 404) return new HubError('not-found', `${host} has no ${path} in ${repo} at revision ${revision} (404): check the repository id, revision and file name.`);
  if (status === 401 || status === 403) {
    return new HubError('no-access', `${host} refused ${repo} (${status}): the repository does not exist, or it is private or gated.`);
  }
  if (status === 429) return new HubError('network', `${host} is limiting requests (429); wait a minute and try again.`);
  return new HubError('network', `${host} answered ${status} for ${path}; try again later.`);
}
