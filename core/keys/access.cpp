#include "core/keys/access.hpp"

#include "core/util/error.hpp"

namespace cairn::keys {

namespace {

std::string action_name(Action action) {
    switch (action) {
    case Action::load:
        return "load";
    case Action::save:
        return "save";
    case Action::administer:
        return "manage keys, members and the audit trail";
    case Action::purge:
        return "delete artifacts (purge)";
    }
    return "?";
}

bool role_allows(Role role, Action action) {
    if (role == Role::purger) return action == Action::purge;
    switch (action) {
    case Action::load:
        return true;
    case Action::save:
        return role != Role::reader;
    case Action::administer:
    case Action::purge:
        return role == Role::admin;
    }
    return false;
}

} // namespace

std::string role_name(Role role) {
    switch (role) {
    case Role::reader:
        return "reader";
    case Role::writer:
        return "writer";
    case Role::admin:
        return "admin";
    case Role::purger:
        return "purger";
    }
    return "?";
}

Role parse_role(std::string_view name) {
    if (name == "reader") return Role::reader;
    if (name == "writer") return Role::writer;
    if (name == "admin") return Role::admin;
    if (name == "purger") return Role::purger;
    throw Error(ErrorKind::usage, "unknown role '" + std::string(name) + "'",
                "use reader, writer, admin or purger");
}

std::string describe(const Principal& who) {
    switch (who.kind) {
    case Principal::Kind::key_file:
        return "key file " + who.name;
    case Principal::Kind::write_only_key_file:
        return "write-only key file " + who.name;
    case Principal::Kind::member:
        return "member '" + who.name + "' (" + role_name(who.role) + ")";
    }
    return who.name;
}

std::string credential_label(const Principal& who) {
    switch (who.kind) {
    case Principal::Kind::key_file:
        return "key file " + who.id;
    case Principal::Kind::write_only_key_file:
        return "write-only key file " + who.id;
    case Principal::Kind::member:
        return "member " + who.name + " (" + role_name(who.role) + ", " + who.id + ")";
    }
    return who.name;
}

void require(const Principal& who, Action action) {
    switch (who.kind) {
    case Principal::Kind::key_file:
        return;
    case Principal::Kind::write_only_key_file:
        if (action != Action::save && action != Action::load)
            throw Error(ErrorKind::permission,
                        "a write-only key file cannot " + action_name(action),
                        action == Action::purge
                            ? "use the instance key file, an admin member key, or a purger member key (cron)"
                            : "use the full instance key file or an admin member key");
        return;
    case Principal::Kind::member:
        if (!role_allows(who.role, action))
            throw Error(ErrorKind::permission,
                        "member '" + who.name + "' has role " + role_name(who.role) +
                            ", which may not " + action_name(action),
                        "an admin can change it: cairn access revoke " + who.name +
                            ", then cairn access grant " + who.name + " --role ...");
        return;
    }
}

} // namespace cairn::keys
