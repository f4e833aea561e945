#!/bin/bash
# A copy of CoOp's scripts/coop/zeroshot.sh (KaiyangZhou/CoOp, MIT licence) for the end-to-end test
# CoOpScriptsTests: only the DATA line and `python train.py` (now the cocoop binary) differ.

# custom config
DATA=${COOP_DATA:?set COOP_DATA to the datasets folder}
TRAINER=ZeroshotCLIP
DATASET=$1
CFG=$2  # rn50, rn101, vit_b32 or vit_b16

"${COCOOP:?set COCOOP to the cocoop binary}" train \
--root ${DATA} \
--trainer ${TRAINER} \
--dataset-config-file configs/datasets/${DATASET}.yaml \
--config-file configs/trainers/CoOp/${CFG}.yaml \
--output-dir output/${TRAINER}/${CFG}/${DATASET} \
--eval-only