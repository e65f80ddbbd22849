/**
 * `action: forward` relays each event to a URL (see options.ts). Nothing heavy is
 * loaded here: google-auth-library only when the first ID token is needed.
 */
import * as fs from 'fs';
import { defineAction } from '../action';
import { forwardOptions, type ForwardOptions } from './options';
import { createForwardHandler } from './handler';
import { googleIdTokenSource } from './id-token';

export const forwardAction = defineAction<ForwardOptions>({
  name: 'forward',
  options: forwardOptions,
  create(options) {
    return createForwardHandler(options, {
      idTokenSource: googleIdTokenSource(),
      extraCa: options.caFile ? fs.readFileSync(options.caFile, 'utf8') : undefined,
    });
  },
});
