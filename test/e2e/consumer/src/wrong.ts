// Mistakes the package's types must refuse under tsc --strict.
import { createRouter } from 'eventarc-router';

createRouter().on({ kind: 'storage.object', tag: 'v1' }, () => undefined);
createRouter().on({ kind: 'firestore.document', document: { pathPattern: 'users/{uid}' } }, (_event, ctx) => void ctx.params.userId);
createRouter().on({ kind: 'storage.object' }, (event) => void event.image);
