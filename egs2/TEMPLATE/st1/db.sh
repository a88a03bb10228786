# Corpus locations. Leave a path empty to run on the built-in mini corpus instead (generated on
# first use under MINI_CORPUS_ROOT, in the same release layouts as the real corpora).
MUSTC=${MUSTC:-}              # dir holding the MuST-C v1 releases en-de/, en-es/, en-fr/
HOW2=${HOW2:-}                # dir holding how2-300h-v1/ (the How2 300h release, text part)
HOW2_AUDIO=${HOW2_AUDIO:-}    # one <video_id>.wav (or .flac) per How2 video
MT_TEXT=${MT_TEXT:-}          # external parallel text: <MT_TEXT>/en-XX/train.{en,XX}, line aligned
MINI_CORPUS_ROOT=${MINI_CORPUS_ROOT:-${ESPNET_EXT_ROOT}/downloads/mini_corpus}
