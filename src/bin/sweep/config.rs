//! `sweep --config FILE.toml`: the flags a configuration file holds.

use super::*;

/// The flags a sweep configuration file holds, in file order.
pub(crate) fn config_flags(path: &Path) -> Result<Vec<String>> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("--config: cannot read {shown}"))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| anyhow::anyhow!("--config: {shown}: {e}"))?;
    let command = <Cli as clap::CommandFactory>::command();
    // (flag, repeatable): a repeatable flag takes a list as several flags.
    let known: Vec<(String, bool)> = command
        .get_arguments()
        .filter_map(|a| {
            let repeat = matches!(a.get_action(), clap::ArgAction::Append);
            a.get_long().map(|l| (l.to_string(), repeat))
        })
        .filter(|(l, _)| !matches!(l.as_str(), "config" | "help" | "version"))
        .collect();
    let mut flags = Vec::new();
    for (key, value) in &table {
        let name = key.replace('_', "-");
        let Some(&(_, repeat)) = known.iter().find(|(l, _)| *l == name) else {
            let names: Vec<&str> = known.iter().map(|(l, _)| l.as_str()).collect();
            anyhow::bail!(
                "--config: {shown}: unknown key `{key}` (keys are the flags of `sweep --help`: {})",
                names.join(", ")
            );
        };
        let scalar = |v: &toml::Value| -> Result<String> {
            match v {
                toml::Value::String(s) => Ok(s.clone()),
                toml::Value::Integer(n) => Ok(n.to_string()),
                toml::Value::Float(x) => Ok(x.to_string()),
                _ => anyhow::bail!(
                    "--config: {shown}: key `{key}`: expected a string, a number or a list of them"
                ),
            }
        };
        match value {
            toml::Value::Boolean(true) => flags.push(format!("--{name}")),
            toml::Value::Boolean(false) => {}
            toml::Value::Array(items) => {
                let parts = items.iter().map(scalar).collect::<Result<Vec<_>>>()?;
                if repeat {
                    flags.extend(parts.iter().map(|p| format!("--{name}={p}")));
                } else {
                    flags.push(format!("--{name}={}", parts.join(",")));
                }
            }
            other => flags.push(format!("--{name}={}", scalar(other)?)),
        }
    }
    Ok(flags)
}
