"""Every `run` ends alike: the claims it checked with their verdicts, then where the report is."""


def test_run_table1_ends_with_its_claims_and_the_report(table1_run):
    results, result = table1_run
    lines = result.stdout.rstrip().splitlines()
    assert lines[-1] == f"report: {results}/REPORT.html (and REPORT.md beside it)"
    ending = "\n".join(lines[lines.index("Table 1: architectures, parameters and FLOPs (multiply-adds) (table1)") :])
    assert "holds: the identity shortcuts introduce neither extra parameter nor computation complexity" in ending
    assert ": parameter counts and FLOPs of every net" in ending
    assert "wrote " not in ending  # the files come before the verdicts


def test_run_gradflow_ends_with_its_claims_and_the_report(gradflow_run):
    tmp_path, result = gradflow_run
    lines = result.stdout.rstrip().splitlines()
    assert lines[-1] == f"report: {tmp_path}/REPORT.html (and REPORT.md beside it)"
    start = lines.index("Gradient flow at initialisation: gradient norm per layer, plain vs residual (gradflow)")
    assert lines[start + 1].startswith("  ✅ holds: with BN, the plain nets' backward propagated gradients")
    assert (tmp_path / "REPORT.html").is_file()
