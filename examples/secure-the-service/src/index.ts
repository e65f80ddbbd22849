/**
 * The service's entry module. Who may call is in the settings (env.yaml), not in code:
 * the router checks every request before parsing it, whatever the route.
 */
import * as path from 'path';
import * as functions from '@google-cloud/functions-framework';
import { createRouter } from 'eventarc-router';

const router = createRouter({ routesFile: path.join(__dirname, '..', 'routes.yaml') });

functions.http('secured-router', router.handler);
