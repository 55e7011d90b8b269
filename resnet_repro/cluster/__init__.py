"""A target's runs as Slurm jobs (through submitit): the resources a job asks for, the submission, the job that
runs one run (and requeues itself before its time limit), and what list/show read back about queued jobs."""
