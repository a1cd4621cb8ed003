/**
 * Why a Hub download failed, as one typed error the worker turns into a message where the user asked:
 * 'bad-input': the repo id, file or address cannot be used; 'not-found': no such repo, revision or file;
 * 'no-access': the repo is gated or private; 'no-tokenizer': a model folder without tokenizer.json;
 * 'bad-file': what arrived is not what was asked for; 'network': the transfer failed (what arrived is kept, so the
 * next try resumes); 'cancelled': the user stopped it; 'storage': the browser refused to store or read the cache.
 */
export type HubErrorKind =
  | 'bad-input'
  | 'not-found'
  | 'no-access'
  | 'no-tokenizer'
  | 'bad-file'
  | 'network'
  | 'cancelled'
  | 'storage';

export class HubError extends Error {
  override name = 'HubError';
  constructor(
    readonly kind: HubErrorKind,
    message: string,
    /** For 'not-found': whether the whole repo or revision is missing, or only one file of it. */
    readonly scope: 'repo' | 'file' = 'file',
  ) {
    super(message);
  }
}
