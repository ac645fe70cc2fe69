/** The cluster's network face other than TFTP and TVS (architecture.md): HTTP file service (6970), … */
export { HttpFileService, HTTP_FILE_SERVICE_PORT, type HttpFileEvent, type HttpFileServiceOptions, type HttpListenOptions } from './http-file-service.js';
/** CAPF on 3804 (formats.md §5) and the SIP registrar on 5061/5060 (phone-behaviour.md §12). */
export * from './capf/index.js';
export * from './sip/index.js';
/** Cisco Tomcat's HTTPS 8443: the corporate directory phones open (SC-23). */
export { TomcatService, TOMCAT_HTTPS_PORT, DIRECTORY_PATH, directoryPage, type TomcatEvent, type TomcatServiceOptions } from './tomcat-service.js';
