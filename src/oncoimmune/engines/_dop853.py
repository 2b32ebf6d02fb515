"""Coefficients of the explicit Runge-Kutta pair DOP853 (Dormand-Prince 8(5,3)) for the batched kernel.

Order 8 with an error estimate that combines embedded 5th- and 3rd-order solutions, as in Hairer's
``dop853.f`` (Hairer, Norsett & Wanner 1993, Section II.10). The values are the published ones to
double precision; ``tests/engines/test_dop853.py`` checks them against SciPy's independent table and
checks the order conditions they must satisfy.

References
----------
.. [1] Prince PJ, Dormand JR (1981). High order embedded Runge-Kutta formulae. J Comput Appl Math
   7:67-75.
.. [2] Hairer E, Norsett SP, Wanner G (1993). Solving Ordinary Differential Equations I, 2nd ed.,
   Springer: Section II.10 (DOP853: the pair, its error estimate and step-size control) and
   Section IV.2 (stiffness detection, h*|lambda| <= 6.1 for this method).
"""

from __future__ import annotations

import numpy as np

#: stages per step (the 13th evaluation, f at the new point, is the next step's first: FSAL)
N_STAGES = 12
#: nodes c_i of the 12 stages
C = np.array([0.0, 0.05260015195876773, 0.0789002279381516, 0.1183503419072274, 0.2816496580927726, 0.3333333333333333, 0.25, 0.3076923076923077, 0.6512820512820513, 0.6, 0.8571428571428571, 1.0])
#: stage coefficients a_ij (row i: stage i + 1; zero above the diagonal)
A = np.zeros((N_STAGES, N_STAGES))
A[1, 0] = 0.05260015195876773
A[2, 0] = 0.0197250569845379
A[2, 1] = 0.0591751709536137
A[3, 0] = 0.02958758547680685
A[3, 2] = 0.08876275643042054
A[4, 0] = 0.2413651341592667
A[4, 2] = -0.8845494793282861
A[4, 3] = 0.924834003261792
A[5, 0] = 0.037037037037037035
A[5, 3] = 0.17082860872947386
A[5, 4] = 0.12546768756682242
A[6, 0] = 0.037109375
A[6, 3] = 0.17025221101954405
A[6, 4] = 0.06021653898045596
A[6, 5] = -0.017578125
A[7, 0] = 0.03709200011850479
A[7, 3] = 0.17038392571223998
A[7, 4] = 0.10726203044637328
A[7, 5] = -0.015319437748624402
A[7, 6] = 0.008273789163814023
A[8, 0] = 0.6241109587160757
A[8, 3] = -3.3608926294469414
A[8, 4] = -0.868219346841726
A[8, 5] = 27.59209969944671
A[8, 6] = 20.154067550477894
A[8, 7] = -43.48988418106996
A[9, 0] = 0.47766253643826434
A[9, 3] = -2.4881146199716677
A[9, 4] = -0.590290826836843
A[9, 5] = 21.230051448181193
A[9, 6] = 15.279233632882423
A[9, 7] = -33.28821096898486
A[9, 8] = -0.020331201708508627
A[10, 0] = -0.9371424300859873
A[10, 3] = 5.186372428844064
A[10, 4] = 1.0914373489967295
A[10, 5] = -8.149787010746927
A[10, 6] = -18.52006565999696
A[10, 7] = 22.739487099350505
A[10, 8] = 2.4936055526796523
A[10, 9] = -3.0467644718982196
A[11, 0] = 2.273310147516538
A[11, 3] = -10.53449546673725
A[11, 4] = -2.0008720582248625
A[11, 5] = -17.9589318631188
A[11, 6] = 27.94888452941996
A[11, 7] = -2.8589982771350235
A[11, 8] = -8.87285693353063
A[11, 9] = 12.360567175794303
A[11, 10] = 0.6433927460157636
#: weights of the 8th-order solution
B = np.array([0.054293734116568765, 0.0, 0.0, 0.0, 0.0, 4.450312892752409, 1.8915178993145003, -5.801203960010585, 0.3111643669578199, -0.1521609496625161, 0.20136540080403034, 0.04471061572777259])
#: 5th-order error coefficients (weights of k_1..k_12; the FSAL stage does not enter)
E5 = np.array([0.01312004499419488, 0.0, 0.0, 0.0, 0.0, -1.2251564463762044, -0.4957589496572502, 1.6643771824549864, -0.35032884874997366, 0.3341791187130175, 0.08192320648511571, -0.022355307863886294])
#: 3rd-order error coefficients
E3 = np.array([-0.18980075407240762, 0.0, 0.0, 0.0, 0.0, 4.450312892752409, 1.8915178993145003, -5.801203960010585, -0.4226823213237919, -0.1521609496625161, 0.20136540080403034, 0.02265179219836082])
