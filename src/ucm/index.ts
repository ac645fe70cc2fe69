/**
 * The rest of the cluster's network face (architecture.md): the HTTP file service (6970) and Cisco
 * Tomcat's HTTPS 8443. TFTP, TVS, SIP and CAPF are protocol folders of their own (`tftp-sim/`,
 * `tvs-sim/`, `src/sip/`, `src/capf/`).
 */
export { HttpFileService, HTTP_FILE_SERVICE_PORT, type HttpFileEvent, type HttpFileServiceOptions, type HttpListenOptions } from './http-file-service.js';
/** Cisco Tomcat's HTTPS 8443: the corporate directory phones open (SC-23). */
export { TomcatService, TOMCAT_HTTPS_PORT, DIRECTORY_PATH, directoryPage, type TomcatEvent, type TomcatServiceOptions } from './tomcat-service.js';
