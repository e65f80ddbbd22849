/** The service's entry module: routes.yaml, next to package.json, names the target. */
import * as path from 'path';
import * as functions from '@google-cloud/functions-framework';
import { createRouter } from 'eventarc-router';

const router = createRouter({ routesFile: path.join(__dirname, '..', 'routes.yaml') });

functions.http('forward-orders', router.handler);
