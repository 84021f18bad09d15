/**
 * The app's entry point (package.json "main"): the single list of everything blobferry
 * exposes as Azure Functions. Azure loads this file; so does the local host.
 */
import './health';
import './copy';
import './copiesApi';
import './copyJobs';
import './blobCreated';
import './dashboard';
