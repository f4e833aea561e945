#!/bin/bash
# A copy of CoOp's scripts/cocoop/xd_train.sh (KaiyangZhou/CoOp, MIT licence) for the end-to-end test
# CoOpScriptsTests: only the DATA line and `python train.py` (now the cocoop binary) differ.

cd ../..

# custom config
DATA=${COOP_DATA:?set COOP_DATA to the datasets folder}
TRAINER=CoCoOp
# TRAINER=CoOp

DATASET=imagenet
SEED=$1

CFG=vit_b16_c4_ep10_batch1_ctxv1
# CFG=vit_b16_ep50_ctxv1  # uncomment this when TRAINER=CoOp and DATASET=imagenet
SHOTS=16


DIR=output/${DATASET}/${TRAINER}/${CFG}_${SHOTS}shots/seed${SEED}
if [ -d "$DIR" ]; then
    echo "Oops! The results exist at ${DIR} (so skip this job)"
else
    "${COCOOP:?set COCOOP to the cocoop binary}" train \
    --root ${DATA} \
    --seed ${SEED} \
    --trainer ${TRAINER} \
    --dataset-config-file configs/datasets/${DATASET}.yaml \
    --config-file configs/trainers/${TRAINER}/${CFG}.yaml \
    --output-dir ${DIR} \
    DATASET.NUM_SHOTS ${SHOTS}
fi