/**
 * The function's entry module: the routes are in routes.yaml, next to package.json
 * (Cloud Functions deploys the folder as it is, so the file travels with the code).
 */
import * as path from 'path';
import * as functions from '@google-cloud/functions-framework';
import { createRouter } from 'eventarc-router';

const router = createRouter({ routesFile: path.join(__dirname, '..', 'routes.yaml') });

functions.http('log-uploads', router.handler);
