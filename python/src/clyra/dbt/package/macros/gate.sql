{#- The warehouse-side gate (defence in depth, spec/plan-v0.md §7): an on-run-start hook that
    fails a run of a gated target unless `clyra dbt build` passed its gate for this invocation
    and set the var `clyra_gate` to the plan digest. Targets are gated when .clyra/config.json
    lists their environment in `gate.fail_closed`; `clyra dbt init`/`build` write that list into
    `clyra.gated_targets()` (macros/gate_config.sql). -#}
{% macro gate_check() %}
  {%- if execute and invocation_args_dict.get("which") in ("build", "run", "seed", "snapshot") -%}
    {%- if target.name in clyra.gated_targets() and not (var("clyra_gate", "") | string).startswith("sha256:") -%}
      {{ exceptions.raise_compiler_error("clyra: target `" ~ target.name ~ "` is gated (.clyra/config.json `gate.fail_closed`): run it with `clyra dbt build`, which checks the policy and approvals before dbt changes anything") }}
    {%- endif -%}
  {%- endif -%}
{% endmacro %}
