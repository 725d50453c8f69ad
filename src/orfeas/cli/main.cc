// The `orfeas` command line.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "orfeas/cli/agents_command.h"
#include "orfeas/cli/audit_command.h"
#include "orfeas/cli/generate_command.h"
#include "orfeas/cli/methods_command.h"
#include "orfeas/cli/serve_command.h"
#include "orfeas/cli/sign_command.h"

int main(int argc, char** argv) {
  CLI::App app("Orfeas: photos of objects to 3D-printable meshes", "orfeas");
  app.require_subcommand(1);
  app.set_version_flag("--version", "orfeas 0.1.0");

  orfeas::GenerateArgs generate;
  CLI::App* generate_cmd = orfeas::add_generate_command(app, generate);
  orfeas::MethodsArgs methods;
  CLI::App* methods_cmd = orfeas::add_methods_command(app, methods);
  orfeas::ServeArgs serve;
  CLI::App* serve_cmd = orfeas::add_serve_command(app, serve);
  orfeas::AgentsArgs agents;
  CLI::App* agents_cmd = orfeas::add_agents_command(app, agents);
  orfeas::AuditArgs audit;
  CLI::App* audit_cmd = orfeas::add_audit_command(app, audit);
  orfeas::SignArgs sign;
  CLI::App* sign_cmd = orfeas::add_sign_command(app, sign);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "orfeas: error: %s (see orfeas --help)\n", e.what());
    return 2;
  }
  if (generate_cmd->parsed()) return orfeas::run_generate(generate);
  if (methods_cmd->parsed()) return orfeas::run_methods(methods);
  if (serve_cmd->parsed()) return orfeas::run_serve(serve);
  if (agents_cmd->parsed()) return orfeas::run_agents(agents);
  if (audit_cmd->parsed()) return orfeas::run_audit(audit);
  if (sign_cmd->parsed()) return orfeas::run_sign(sign);
  return 2;
}
