// The browser UI's static routes: GET / answers web/index.html and GET /ui/<file> the UI's own
// scripts and stylesheet (web/app.js, web/style.css) and three.js with the two examples it uses
// (three.min.js, OrbitControls.js, STLLoader.js from Debian's libjs-three r111).
//
// Every file is compiled into the binary (web_assets.h), three.js included, so that `orfeas serve`
// works from any directory, needs no internet and no package at run time, and always serves the
// exact three.js the UI was built and tested against; the price is about 1 MB of binary and
// libjs-three as a build dependency. Only those known names are served, so no request can reach
// the file system. Cache-Control: the UI's own files change with the binary, so browsers
// revalidate them on every load ("no-cache"); the three.js files change only with Debian's
// package and may be cached for a day.
#pragma once

#include "orfeas/http/router.h"

namespace orfeas {

// Adds GET / and GET /ui/{file} to `router`. Unknown names under /ui/ answer 404 not_found.
void add_web_ui_routes(Router& router);

}  // namespace orfeas
